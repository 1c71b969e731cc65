# Turns the policy files into a C source (one source of truth: the library
# compiles in exactly the files under policy/).
# -D POLICY_DIR=... -D OUTPUT=... -D FILES="roles/a.policy;groups/b.policy"
set(out "/* Generated from policy/ by cmake/embed_policies.cmake: do not edit. */\n")
string(APPEND out "#include \"internal.h\"\n\n")
set(table "")
set(i 0)
foreach(f IN LISTS FILES)
  file(READ "${POLICY_DIR}/${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND out "static const char p${i}[] = {${hex}0x00};\n")
  string(APPEND table "\t{ \"${f}\", p${i} },\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND out "\nconst struct builtin_policy vmm_seccomp_builtin_policies[] = {\n${table}};\n")
string(APPEND out "const size_t vmm_seccomp_builtin_policy_count = ${i};\n")
file(WRITE "${OUTPUT}.tmp" "${out}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
