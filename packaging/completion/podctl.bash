# bash completion for podctl(1). Commands and options as in the man page;
# node and pod names are asked of the controller (the first column of
# "podctl nodes"), using the --server and --token already typed.

_podctl_names()
{
	local -a opts=()
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--server|--token) opts+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
		--server=*|--token=*) opts+=("${COMP_WORDS[i]}") ;;
		esac
	done
	# NAME is never dropped from the table, so the first column is safe.
	COLUMNS=1000 podctl "${opts[@]}" nodes 2>/dev/null |
	    awk -v col="$1" 'NR > 1 { if (col == "pod") { sub(/-.*/, "", $1) } print $1 }' |
	    sort -u
}

_podctl()
{
	local cur prev words=() i w
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	case $prev in
	-o|--output) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
	--server|--token|--reason) COMPREPLY=(); return ;;
	--state) COMPREPLY=($(compgen -W "idle mixed allocated down draining drained" -- "$cur")); return ;;
	--pod) COMPREPLY=($(compgen -W "$(_podctl_names pod)" -- "$cur")); return ;;
	esac

	# The words typed so far, without options and their values.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-o|--output|--server|--token|--pod|--state|--reason) ((i++)) ;;
		-*) ;;
		*) words+=("$w") ;;
		esac
	done

	case "${words[*]}" in
	"")
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--server --token -o --output --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "status pods nodes node help" -- "$cur"))
		fi ;;
	nodes)
		COMPREPLY=($(compgen -W "--pod --state" -- "$cur")) ;;
	node)
		COMPREPLY=($(compgen -W "show drain resume" -- "$cur")) ;;
	"node show"|"node resume")
		COMPREPLY=($(compgen -W "$(_podctl_names node)" -- "$cur")) ;;
	"node drain")
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--reason" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_podctl_names node)" -- "$cur"))
		fi ;;
	"node drain "*)
		COMPREPLY=($(compgen -W "--reason" -- "$cur")) ;;
	*)
		COMPREPLY=() ;;
	esac
}

complete -F _podctl podctl
