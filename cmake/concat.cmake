# concat.cmake — build-time helper: writes OUT as the files of IN (paths separated by |, so
# the list is one argument of the custom command) one after the other, each but the last
# followed by a separator: a newline for style sheets (SEP=css); "\n;\n" for scripts
# (SEP=js), so a file that ends without a semicolon cannot run into the next one's first
# statement. Every web/*.js starts with 'use strict', so the joined file is strict as each was.
#   cmake -DOUT=FILE -DIN="A|B|…" -DSEP=css|js -P concat.cmake
if(SEP STREQUAL "js")
  set(sep "\n;\n")
else()
  set(sep "\n")
endif()
string(REPLACE "|" ";" IN "${IN}")
set(all "")
list(LENGTH IN n)
set(i 0)
foreach(f ${IN})
  file(READ ${f} text)
  string(APPEND all "${text}")
  math(EXPR i "${i} + 1")
  if(i LESS n)
    string(APPEND all "${sep}")
  endif()
endforeach()
file(WRITE ${OUT}.new "${all}")
file(RENAME ${OUT}.new ${OUT})
