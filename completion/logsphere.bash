# bash completion for logsphere(1): commands, each command's options, the values of --format,
# --time-format, --by and --layout, the words import and db take, and user and host names.
# Installed as /usr/local/share/bash-completion/completions/logsphere (scripts/install.sh) or
# /usr/share/bash-completion/completions/logsphere (the Debian package), where bash-completion
# loads it the first time `logsphere` is completed; or `source` it.
#
# The commands and options are read from the program's own help (`logsphere --help`,
# `logsphere COMMAND --help`), as bash-completion's _parse_help does, once per shell and command:
# the lists are those of the very program being completed (a checkout's dist/logsphere.cjs as
# well as the installed one), and a command or option added to the CLI needs no change here.
# A help text costs one start of the program (some 60 ms), paid at the first TAB only.
#
# User names (--user, -u, and last's and lastb's names) come from the records, not from the
# program: `logsphere last --json` reads the whole history, seconds on a large log, and the
# sessions checkpoint is binary. The last MiB of the live log (sessions.jsonl, the newest records,
# where the names one asks about are) and the open-session entries in the run directory (readable
# by everyone) are read with grep, a few milliseconds whatever the log's size. Only names made of
# the characters account names are made of are offered: the records hold what remote users typed
# (failed logins), and a completion is inserted into the command line as it is. Where neither
# can be read (a user outside group adm, no log yet), the accounts of this host (compgen -u).
# Failed logins count only for failed and lastb, where invalid user names are what one looks for.

declare -gA _logsphere_help_cache

# Sets _logsphere_help_text to the parsed help of "$1" (the program) for command "$2" ('' for
# the program's own), one line per fact: `command NAME`, `option NAME [VALUE]`, `word INDEX
# ALTERNATIVES` (the positional words of the synopsis: `wtmp|btmp|...`, `FILE...`). Not to be
# called in a subshell, which would keep the cache to itself.
_logsphere_load_help() {
  local key="$1"$'\x1f'"$2" text
  if [[ -z ${_logsphere_help_cache[$key]+set} ]]; then
    if [[ -n $2 ]]; then
      text=$(COLUMNS=1000 "$1" "$2" --help 2>/dev/null </dev/null)
    else
      text=$(COLUMNS=1000 "$1" --help 2>/dev/null </dev/null)
    fi
    _logsphere_help_cache[$key]=$(printf '%s\n' "$text" | awk -v command="$2" '
      function synopsis(line,    n, w, i, t, index_, skip) {
        n = split(line, w, /[ \t]+/)
        index_ = 0
        # w[1] is "logsphere", w[2] the command.
        for (i = (command == "" ? 2 : 3); i <= n; i++) {
          t = w[i]
          if (skip) { if (t ~ /\]/) skip = 0; continue }
          if (t ~ /^\[-/) { if (t !~ /\]/) skip = 1; continue }
          if (t ~ /^-/) { if (w[i + 1] ~ /^[A-Z]/) i++; continue }
          if (t == "[OPTIONS]" || t == "") continue
          repeat = (t ~ /\.\.\.$/) ? "..." : ""
          gsub(/[\[\]]|\.\.\./, "", t)
          print "word", index_, t repeat
          index_++
        }
      }
      /^Usage:/ { line = $0; sub(/^Usage:[ \t]*/, "", line); synopsis(line); in_usage = 1; next }
      in_usage && /^[ \t]+logsphere / { line = $0; sub(/^[ \t]+/, "", line); synopsis(line); next }
      { in_usage = 0 }
      /^[^ \t].*:$/ { section = $0; next }
      /^[ \t]*$/ { section = ""; next }
      section == "Commands:" && /^  [a-z]/ { print "command", $1; next }
      section == "Options:" && /^ +-/ && match($0, /^ +/) && RLENGTH <= 8 {
        line = $0; sub(/^[ \t]+/, "", line)
        # The term ends where two spaces begin its description.
        if (match(line, /  +/)) line = substr(line, 1, RSTART - 1)
        n = split(line, t, / +/)
        value = ""; count = 0
        for (i = 1; i <= n; i++) {
          word = t[i]; sub(/,$/, "", word)
          if (word ~ /^-/) { names[++count] = word; continue }
          value = word   # the placeholder; what follows it (-N, a description) is not an option
          break
        }
        for (i = 1; i <= count; i++) print "option", names[i], value
      }')
  fi
  _logsphere_help_text=${_logsphere_help_cache[$key]}
}

# A variable of the configuration as the CLI sees it: its environment, else the file.
_logsphere_config() {
  local name=$1 value file=${LOGSPHERE_CONFIG:-/etc/logsphere/logsphere.env}
  value=$(printenv "$name")
  if [[ -z $value && -r $file ]]; then
    value=$(sed -n "s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}$name[[:space:]]*=[[:space:]]*//p" "$file" 2>/dev/null | tail -n 1)
    value=${value%\"}; value=${value#\"}; value=${value%\'}; value=${value#\'}
  fi
  printf '%s\n' "${value:-$2}"
}

# The values of a record field ("user" or "host") in the newest records and the open sessions.
# $2: "failed" for the failed logins only, else everything but them.
_logsphere_record_values() {
  local field=$1 failures=$2 log_dir run_dir
  log_dir=$(_logsphere_config LOGSPHERE_LOG_DIR /var/log/logsphere)
  run_dir=$(_logsphere_config LOGSPHERE_RUN_DIR /run/logsphere)
  {
    tail -c 1048576 -- "$log_dir/sessions.jsonl"
    [[ $failures == failed ]] || cat -- "$run_dir"/sessions/*.json
  } 2>/dev/null |
    if [[ $failures == failed ]]; then grep -F '"event":"auth_failure"'; else grep -vF '"event":"auth_failure"'; fi |
    grep -o "\"$field\":\"[A-Za-z0-9_][A-Za-z0-9_.@-]*\"" |
    sed "s/^\"$field\":\"//; s/\"\$//" | sort -u
}

_logsphere_users() {
  local users
  users=$(_logsphere_record_values user "$1")
  if [[ -n $users ]]; then
    printf '%s\n' "$users"
  else
    compgen -u
  fi
}

_logsphere_hosts() {
  local hosts
  hosts=$(_logsphere_record_values host "$1")
  if [[ -n $hosts ]]; then printf '%s\n' "$hosts"; else compgen -A hostname; fi
}

# Sets COMPREPLY to the words of $1 (one a line) that begin with $2, each after prefix $3.
_logsphere_reply() {
  local word
  COMPREPLY=()
  while IFS= read -r word; do
    [[ -n $word && $word == "$2"* ]] && COMPREPLY+=("$3$word")
  done <<<"$1"
}

# The values an option takes, by its placeholder in the help (`--user USER`, `--format ecs|otel`).
# The help names some values only in prose (`--format F: text (default), markdown, json or
# html`): those are listed here, per command.
_logsphere_values() {
  local command=$1 option=$2 placeholder=$3 kind=all
  [[ $command == failed || $command == lastb ]] && kind=failed
  case $command:$option in
    report:--format) printf '%s\n' text markdown json html; return ;;
    follow:--format) printf '%s\n' raw ecs otel; return ;;
    failed:--time-format) printf '%s\n' short iso; return ;;
    *:--time-format) printf '%s\n' notime short full iso; return ;;
    import:--layout) printf '%s\n' x86_64 time64; return ;;
  esac
  case $placeholder in
    *'|'*) tr '|' '\n' <<<"$placeholder" ;;
    USER) _logsphere_users "$kind" ;;
    HOST) _logsphere_hosts "$kind" ;;
    T) printf '%s\n' today yesterday now ;;
  esac
}

_logsphere() {
  local program=${1:-logsphere} cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD
  local -a words=("${COMP_WORDS[@]}")
  COMPREPLY=()

  # `--option=value`: with '=' in COMP_WORDBREAKS (the default) bash makes it three words, and
  # completes what follows the '='; without, one word, whose value is completed after its prefix.
  local option='' prefix='' split=''
  if [[ $cur == '=' ]]; then
    option=${words[cword - 1]} cur='' split=yes
  elif ((cword >= 2)) && [[ ${words[cword - 1]} == '=' ]]; then
    option=${words[cword - 2]} split=yes
  elif [[ $cur == --*=* ]]; then
    option=${cur%%=*} prefix="${cur%%=*}=" cur=${cur#*=} split=yes
  fi

  # The command: the first word after the program that is not an option.
  local command='' start=0 i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -*) ;;
      *) command=${words[i]}; start=$i; break ;;
    esac
  done

  local help
  _logsphere_load_help "$program" "$command"
  help=$_logsphere_help_text
  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      _logsphere_reply "$(awk '$1 == "option" { print $2 }' <<<"$help")" "$cur"
    else
      _logsphere_reply "$(awk '$1 == "command" { print $2 }' <<<"$help")" "$cur"
    fi
    return 0
  fi

  local placeholder
  if [[ -z $split ]] && ((cword - 1 > start)); then
    option=${words[cword - 1]}
  fi
  if [[ $option == -* ]]; then
    placeholder=$(awk -v o="$option" '$1 == "option" && $2 == o { print $3; exit }' <<<"$help")
    if [[ -n $placeholder ]]; then
      case $placeholder in
        PATH | FILE)
          compopt -o filenames 2>/dev/null
          _logsphere_reply "$(compgen -f -- "$cur")" "$cur" "$prefix"
          ;;
        *) _logsphere_reply "$(_logsphere_values "$command" "$option" "$placeholder")" "$cur" "$prefix" ;;
      esac
      return 0
    fi
    [[ -n $split ]] && return 0
  fi

  if [[ $cur == -* ]]; then
    _logsphere_reply "$(awk '$1 == "option" { print $2 }' <<<"$help")" "$cur"
    return 0
  fi

  # A positional word: count those before it, leaving out options and their values.
  local position=0 word
  for ((i = start + 1; i < cword; i++)); do
    word=${words[i]}
    [[ $word == '=' ]] && { i=$((i + 1)); continue; }
    if [[ $word == -* ]]; then
      [[ $word == *=* || ${words[i + 1]} == '=' ]] && continue
      [[ -n $(awk -v o="$word" '$1 == "option" && $2 == o && $3 != "" { print; exit }' <<<"$help") ]] && i=$((i + 1))
      continue
    fi
    position=$((position + 1))
  done
  local alternatives
  alternatives=$(awk -v p="$position" '
    $1 == "word" && ($2 == p || ($2 < p && $3 ~ /\.\.\.$/)) { sub(/\.\.\.$/, "", $3); print $3 }' <<<"$help")
  local candidates='' alternative kind=all
  [[ $command == failed || $command == lastb ]] && kind=failed
  while IFS= read -r alternative; do
    for word in ${alternative//|/ }; do
      case $word in
        USER) candidates+=$(_logsphere_users "$kind")$'\n' ;;
        FILE | PATH)
          compopt -o filenames 2>/dev/null
          candidates+=$(compgen -f -- "$cur")$'\n'
          ;;
        [a-z]*) candidates+=$word$'\n' ;;
      esac
    done
  done <<<"$alternatives"
  _logsphere_reply "$candidates" "$cur"
  return 0
}

complete -F _logsphere logsphere
