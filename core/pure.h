/*
 * Forced before every core source (-include, core/CMakeLists.txt): the
 * identifiers that only I/O libraries declare are poisoned, so a core file
 * that includes libevent, SQLite, libcurl, libmodbus, Jansson or the socket
 * API, or names one of their types or calls, fails to compile. The system
 * headers of those libraries sit on the default include path, where no
 * missing -I could stop them; core/purity.sh checks the rest.
 */
#ifndef CORE_PURE_H
#define CORE_PURE_H

#pragma GCC poison json_t json_object json_loads json_dumps
#pragma GCC poison sqlite3 sqlite3_stmt sqlite3_open_v2
#pragma GCC poison event_base evhttp evhttp_request evbuffer bufferevent
#pragma GCC poison CURL CURLM curl_easy_init curl_multi_init
#pragma GCC poison modbus_t modbus_new_tcp modbus_new_rtu
#pragma GCC poison socket connect accept accept4 listen getaddrinfo
#pragma GCC poison clock_gettime gettimeofday

#endif
