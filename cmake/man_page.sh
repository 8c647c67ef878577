#!/usr/bin/env bash
# Writes the man page of the built program from its own --help texts (help2man), never written
# twice: the program's --help, and a COMMANDS section with `cutover help COMMAND` for each
# subcommand its --help lists.   usage: man_page.sh PROGRAM OUTPUT
set -euo pipefail
program=$1
output=$2
include=$(mktemp)
trap 'rm -f "$include"' EXIT

# roff: a backslash is written \e, and a line starting with . or ' is escaped.
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

commands=$("$program" --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }')
{
  echo "[COMMANDS]"
  for command in $commands; do
    [[ "$command" == help ]] && continue
    echo ".SS $command"
    echo ".nf"
    (exec -a cutover "$program" help "$command") | roff
    echo ".fi"
  done
  echo "[EXIT STATUS]"
  echo "0 every selected check passed; 1 a check failed; 2 a bad suite file or command line;"
  echo "3 an internal error; 130 interrupted."
  echo "[SEE ALSO]"
  echo "The README, installed in /usr/share/doc/cutover (or <prefix>/share/doc/cutover)."
} >"$include"
help2man --no-info --section=1 --name="validate a system migration with suites of checks" \
  --include="$include" --output="$output" "$program"
