# Writes OUT, a C file holding every migration in order: schema/NNN_*.sql,
# SQLite's, as `const struct schema_migration schema_migrations[]`, and
# schema/postgresql/NNN_*.sql, the same migrations in PostgreSQL's dialect,
# as `schema_pg_migrations[]`, so that the controller carries its schema
# and cannot run against a database from another build. Each migration
# exists in both dialects: a version missing from either set fails the
# build, rather than a controller on the other backend failing at start.

# Sets ${prefix}_body to the C array `name[]` and its count `name_n` of
# the migrations in dir, and ${prefix}_versions to their numbers in order.
function(embed_migrations dir array count prefix)
  file(GLOB files ${dir}/[0-9][0-9][0-9]_*.sql)
  list(SORT files)
  set(versions "")
  set(body "const struct schema_migration ${array}[] = {\n")
  foreach(f ${files})
    get_filename_component(n ${f} NAME)
    string(SUBSTRING ${n} 0 3 ver)
    math(EXPR ver "${ver}")
    list(APPEND versions ${ver})
    file(READ ${f} sql)
    string(REPLACE "\\" "\\\\" sql "${sql}")
    string(REPLACE "\"" "\\\"" sql "${sql}")
    string(REPLACE "\n" "\\n\"\n\t\"" sql "${sql}")
    string(APPEND body "    {${ver}, \"${n}\",\n\t\"${sql}\"},\n")
  endforeach()
  string(APPEND body "};\nconst int ${count} = sizeof(${array}) / sizeof(${array}[0]);\n")
  set(${prefix}_body "${body}" PARENT_SCOPE)
  set(${prefix}_versions "${versions}" PARENT_SCOPE)
endfunction()

embed_migrations(${SCHEMA_DIR} schema_migrations schema_nmigrations lite)
embed_migrations(${SCHEMA_DIR}/postgresql schema_pg_migrations
  schema_pg_nmigrations pg)

if(NOT lite_versions)
  message(FATAL_ERROR "embed_schema: no migration in ${SCHEMA_DIR}")
endif()
if(NOT lite_versions STREQUAL pg_versions)
  set(only_lite ${lite_versions})
  set(only_pg ${pg_versions})
  if(pg_versions)
    list(REMOVE_ITEM only_lite ${pg_versions})
  endif()
  list(REMOVE_ITEM only_pg ${lite_versions})
  # a version on both sides, twice on one: the whole lists say it
  list(JOIN lite_versions ", " all_lite)
  list(JOIN pg_versions ", " all_pg)
  foreach(v only_lite only_pg all_lite all_pg)
    if("${${v}}" STREQUAL "")
      set(${v} "none")
    endif()
  endforeach()
  list(JOIN only_lite ", " only_lite)
  list(JOIN only_pg ", " only_pg)
  message(FATAL_ERROR "embed_schema: the SQLite and PostgreSQL migrations "
    "differ. Versions only in ${SCHEMA_DIR}: ${only_lite}; only in "
    "${SCHEMA_DIR}/postgresql: ${only_pg} (all of SQLite's: ${all_lite}; "
    "all of PostgreSQL's: ${all_pg}). Every schema/NNN_x.sql needs its "
    "schema/postgresql/NNN_x.sql, in PostgreSQL's dialect, and the other "
    "way round.")
endif()

file(WRITE ${OUT}.tmp "/* Generated from the schema/ migrations by cmake/embed_schema.cmake. */\n#include \"schema.h\"\n\n/* SQLite: schema/NNN_*.sql */\n${lite_body}\n/* PostgreSQL: schema/postgresql/NNN_*.sql */\n${pg_body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
