# Which agent holds a node's name (core/holder.c): the verdict on another
# boot id, and the episodes of refused reports.
pod_unit_test(holder_test holder_test.c LIBS podcore)
