# Writes OUT, a C file holding every schema/NNN_*.sql migration in order as
# `const struct schema_migration schema_migrations[]`, so that the controller
# carries its schema and cannot run against a file from another build.
file(GLOB files ${SCHEMA_DIR}/[0-9][0-9][0-9]_*.sql)
list(SORT files)
set(body "/* Generated from the schema/ migrations by cmake/embed_schema.cmake. */\n#include \"schema.h\"\n\nconst struct schema_migration schema_migrations[] = {\n")
foreach(f ${files})
  get_filename_component(n ${f} NAME)
  string(SUBSTRING ${n} 0 3 ver)
  math(EXPR ver "${ver}")
  file(READ ${f} sql)
  string(REPLACE "\\" "\\\\" sql "${sql}")
  string(REPLACE "\"" "\\\"" sql "${sql}")
  string(REPLACE "\n" "\\n\"\n\t\"" sql "${sql}")
  string(APPEND body "    {${ver}, \"${n}\",\n\t\"${sql}\"},\n")
endforeach()
string(APPEND body "};\nconst int schema_nmigrations = sizeof(schema_migrations) / sizeof(schema_migrations[0]);\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
