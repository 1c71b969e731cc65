# Writes the flat guest image INPUT as a C byte array into OUTPUT (cmake -P).
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR size "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n\t" bytes "${bytes}")
file(WRITE ${OUTPUT} "/* Generated from ${INPUT}: do not edit. */
#include \"guest_image.h\"

const unsigned char sample_guest_image[] = {
\t${bytes}
};
const size_t sample_guest_image_size = ${size};
")
