# bash completion for podctl(1). Commands and options as in the man page;
# node and pod names, job ids and alarm ids are asked of the controller (the
# first column of "podctl nodes", "podctl jobs" and "podctl alarms"), using
# the --server and --token already typed.

# The --server and --token options typed so far, for a podctl run.
_podctl_conn()
{
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--server|--token) _podctl_opts+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
		--server=*|--token=*) _podctl_opts+=("${COMP_WORDS[i]}") ;;
		esac
	done
}

_podctl_names()
{
	local -a _podctl_opts=()
	_podctl_conn
	# NAME is never dropped from the table, so the first column is safe.
	COLUMNS=1000 podctl "${_podctl_opts[@]}" nodes 2>/dev/null |
	    awk -v col="$1" 'NR > 1 { if (col == "pod") { sub(/-.*/, "", $1) } print $1 }' |
	    sort -u
}

# Ids of the jobs in the given states (all jobs when none is given).
_podctl_jobs()
{
	local -a _podctl_opts=()
	local s
	_podctl_conn
	# ID is never dropped from the table either.
	if (($# == 0)); then
		COLUMNS=1000 podctl "${_podctl_opts[@]}" jobs 2>/dev/null | awk 'NR > 1 { print $1 }'
	else
		for s in "$@"; do
			COLUMNS=1000 podctl "${_podctl_opts[@]}" jobs --state "$s" 2>/dev/null |
			    awk 'NR > 1 { print $1 }'
		done
	fi
}

_podctl()
{
	local cur prev words=() i w
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	# Ids of the open alarms, those an operator acknowledges.
_podctl_alarms()
{
	local -a _podctl_opts=()
	_podctl_conn
	# With room for every column, STATE is the fifth.
	COLUMNS=1000 podctl "${_podctl_opts[@]}" alarms 2>/dev/null |
	    awk 'NR > 1 && $5 == "open" { print $1 }'
}

# The parameters each policy takes, as "policy set" checks them.
_podctl_params()
{
	case $1 in
	power_cap) echo cap_w= ;;
	thermal) echo target_c= ;;
	energy) echo slowdown_pct= ;;
	curtail) echo fraction= ;;
	esac
}

# The words typed so far, without options and their values; after
	# "--" the command of a job begins, completed as a command and files.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--)
			if [[ ${words[0]} == submit ]]; then
				if ((i == COMP_CWORD - 1)); then
					COMPREPLY=($(compgen -c -- "$cur"))
				else
					COMPREPLY=($(compgen -f -- "$cur"))
				fi
				return
			fi ;;
		-o|--output|--server|--token|--pod|--node|--state|--reason|--name|--nodes|--accelerators|--accels-per-node|--time|--priority|--within|--policy|--interval) ((i++)) ;;
		-*) ;;
		*) words+=("$w") ;;
		esac
	done

	case $prev in
	-o|--output) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
	--server|--token|--reason|--name|--nodes|--accelerators|--accels-per-node|--priority)
		COMPREPLY=(); return ;;
	--policy) COMPREPLY=($(compgen -W "performance powersave thermal energy" -- "$cur")); return ;;
	--interval) COMPREPLY=($(compgen -W "1 2 5 10" -- "$cur")); return ;;
	--node) COMPREPLY=($(compgen -W "$(_podctl_names node)" -- "$cur")); return ;;
	--time) COMPREPLY=($(compgen -W "15m 1h 2h 12h 1d" -- "$cur")); return ;;
	--within) COMPREPLY=($(compgen -W "group pod fabric" -- "$cur")); return ;;
	--state)
		if [[ ${words[0]} == jobs ]]; then
			COMPREPLY=($(compgen -W "pending running completed failed cancelled timeout node_fail" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "idle mixed allocated down draining drained" -- "$cur"))
		fi
		return ;;
	--pod) COMPREPLY=($(compgen -W "$(_podctl_names pod)" -- "$cur")); return ;;
	esac

	case "${words[*]}" in
	"")
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--server --token -o --output --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "status pods nodes node submit jobs job cancel policy power alarms alarm top help" -- "$cur"))
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
	submit)
		COMPREPLY=($(compgen -W "--name --nodes --accelerators --accels-per-node --time --priority --within --policy --no-requeue --" -- "$cur")) ;;
	jobs)
		COMPREPLY=($(compgen -W "--state" -- "$cur")) ;;
	job)
		COMPREPLY=($(compgen -W "show" -- "$cur")) ;;
	"job show")
		COMPREPLY=($(compgen -W "$(_podctl_jobs)" -- "$cur")) ;;
	cancel)
		COMPREPLY=($(compgen -W "$(_podctl_jobs pending running)" -- "$cur")) ;;
	policy)
		COMPREPLY=($(compgen -W "get set" -- "$cur")) ;;
	"policy get")
		COMPREPLY=($(compgen -W "--pod --node" -- "$cur")) ;;
	"policy set")
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--pod --node" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "performance powersave power_cap thermal energy curtail inherit" -- "$cur"))
		fi ;;
	"policy set "*)
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W "$(_podctl_params "${words[2]}")" -- "$cur")) ;;
	power)
		COMPREPLY=($(compgen -W "get cap curtail" -- "$cur")) ;;
	"power cap")
		COMPREPLY=($(compgen -W "none" -- "$cur")) ;;
	alarms)
		COMPREPLY=($(compgen -W "--all" -- "$cur")) ;;
	alarm)
		COMPREPLY=($(compgen -W "ack" -- "$cur")) ;;
	"alarm ack")
		COMPREPLY=($(compgen -W "$(_podctl_alarms)" -- "$cur")) ;;
	top)
		COMPREPLY=($(compgen -W "--interval --once" -- "$cur")) ;;
	*)
		COMPREPLY=() ;;
	esac
}

complete -F _podctl podctl
