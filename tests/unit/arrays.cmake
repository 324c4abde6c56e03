# Job arrays and dependencies (core/arrayspec.c, core/depend.c): the sbatch
# texts parsed, refused where they are wrong, normalised and judged.
pod_unit_test(arrayspec_test arrayspec_test.c LIBS podcore)
pod_unit_test(depend_test depend_test.c LIBS podcore)
# The controller's side (controllerd/arrays.c, controllerd/jobdeps.c) on a
# minimal controller state, as queue_test.
pod_unit_test(jobarrays_test jobarrays_test.c ctlrig.c LIBS podctl_core)
