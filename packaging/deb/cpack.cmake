# Debian packages, one per install component (packaging/CMakeLists.txt says
# which files each holds), made by `cpack -G DEB` in a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr; scripts/package does both. Architecture comes
# from dpkg, shared-library dependencies from dpkg-shlibdeps (dpkg-dev); the
# other dependencies are written here. The maintainer scripts and conffiles
# lists are in packaging/deb/<component>/.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME superpod)
set(CPACK_PACKAGE_VENDOR "SuperPod manager")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(POD_DEB_CONTACT "SuperPod manager maintainers <superpod@localhost>"
  CACHE STRING "Maintainer field of the Debian packages")
set(CPACK_PACKAGE_CONTACT ${POD_DEB_CONTACT})

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL controller agent cli tools dev)
# Some files install to an absolute path (/etc/pod): install under DESTDIR
# with the configured prefix, which must be the packages' (/usr).
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(pod_deb_version "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")

set(d ${CMAKE_CURRENT_SOURCE_DIR}/deb)

set(CPACK_DEBIAN_CONTROLLER_PACKAGE_NAME superpod-controller)
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_SECTION admin)
# systemd-sysusers and systemd-tmpfiles make the user pod and its folders
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_RECOMMENDS "superpod-cli")
set(CPACK_DEBIAN_CONTROLLER_PACKAGE_CONTROL_EXTRA
  ${d}/controller/conffiles ${d}/controller/postinst ${d}/controller/prerm
  ${d}/controller/postrm)
set(CPACK_COMPONENT_CONTROLLER_DESCRIPTION
  "SuperPod manager controller (pod-controllerd)
The controller of liquid-cooled accelerator pods: inventory, jobs and
their scheduling, power budgets and cooling envelopes, alarms, the REST
API and web dashboard, Prometheus metrics and Modbus TCP for the
building. Runs as the user pod (pod-controllerd.service); its state is
in /var/lib/pod, its config /etc/pod/controller.conf.")

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME superpod-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
  ${d}/agent/conffiles ${d}/agent/postinst ${d}/agent/prerm
  ${d}/agent/postrm)
set(CPACK_COMPONENT_AGENT_DESCRIPTION
  "SuperPod manager node agent (pod-agentd) and its plugins
The agent on every node: samples accelerators, CPUs and the coolant loop
through its plugins, applies DVFS policies, power caps and the local
safety guard, runs the jobs placed on the node and reports to the
controller (pod-agentd.service). Its config is /etc/pod/agent.conf, its
state /var/lib/pod-agent.")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME superpod-cli)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION admin)
set(CPACK_COMPONENT_CLI_DESCRIPTION
  "SuperPod manager command line (podctl)
The operator's tool for a SuperPod manager controller: pods, nodes, jobs,
power, policies, alarms, accounts and tokens over the REST API.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME superpod-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION admin)
# pod-fleetsim loads the agent's simulation plugins
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "superpod-agent (= ${pod_deb_version})")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
  "SuperPod manager simulators (pod-fleetsim, pod-schedsim)
pod-fleetsim runs many simulated node agents in one process against a
controller; pod-schedsim replays a job trace through the controller's
scheduler in virtual time.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME superpod-plugin-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "pkg-config | pkgconf")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "SuperPod manager plugin ABI (headers, pkg-config)
<pod/plugin.h> and <pod/plugin_util.h>, and the pkg-config file
pod-plugin, to build power and cooling plugins for pod-agentd outside
its source tree: cc $(pkg-config --cflags pod-plugin) -shared -fPIC ...")

include(CPack)
