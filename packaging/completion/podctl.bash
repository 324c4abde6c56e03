# bash completion for podctl(1). Commands and options as in the man page;
# node and pod names, job ids and alarm ids are asked of the controller
# ("podctl nodes --noheader --format name" and the like), using the --server
# and --token already typed. Column names come from podctl itself, which
# lists them when refusing an unknown one, without asking the server.

# The --server, --token, --token-file and --cacert options typed so far,
# for a podctl run.
_podctl_conn()
{
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--server|--token|--token-file|--cacert) _podctl_opts+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
		--server=*|--token=*|--token-file=*|--cacert=*) _podctl_opts+=("${COMP_WORDS[i]}") ;;
		esac
	done
}

_podctl_names()
{
	local -a _podctl_opts=()
	_podctl_conn
	local col=name
	[[ $1 == pod ]] && col=pod
	podctl "${_podctl_opts[@]}" nodes --noheader --format "$col" 2>/dev/null |
	    sort -u
}

# Ids of the jobs in the given states (all jobs when none is given).
_podctl_jobs()
{
	local -a _podctl_opts=()
	local s
	_podctl_conn
	if (($# == 0)); then
		podctl "${_podctl_opts[@]}" jobs --noheader --format id 2>/dev/null
	else
		s=$*
		podctl "${_podctl_opts[@]}" jobs --state "${s// /,}" --noheader \
		    --format id 2>/dev/null
	fi
}

# Ids of the open alarms, those an operator acknowledges.
_podctl_alarms()
{
	local -a _podctl_opts=()
	_podctl_conn
	podctl "${_podctl_opts[@]}" alarms --noheader --format id,state 2>/dev/null |
	    awk '$2 == "open" { print $1 }'
}

# Ids of the tokens not revoked, those an admin revokes.
_podctl_tokens()
{
	local -a _podctl_opts=()
	_podctl_conn
	podctl "${_podctl_opts[@]}" token list --noheader --format id,revoked 2>/dev/null |
	    awk '$2 == "no" { print $1 }'
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

_podctl()
{
	local cur prev words=() i w
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

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
		-o|--output|--server|--token|--token-file|--cacert|--user|--role|--expires|--comment|--pod|--node|--state|--reason|-J|--name|-N|--nodes|-G|--accelerators|--accels-per-node|-t|--time|--priority|--within|--policy|--power-per-accel|--interval|-O|--format|--parent|--shares|--description|-A|--account|--default-account|--start|--duration|--end|--pods|-u|-s|-S|--starttime|-E|--endtime|-j|--jobs|--by) ((i++)) ;;
		-*) ;;
		*) words+=("$w") ;;
		esac
	done

	# The options every command takes, after its own.
	local global="--server --token --token-file --cacert -o --output --help --version"
	# Lists ("drained,do"): complete the last item, keep the others.
	local head="" last=$cur
	if [[ $cur == *,* ]]; then
		head=${cur%,*},
		last=${cur##*,}
	fi

	case $prev in
	-o|--output) COMPREPLY=($(compgen -W "table wide json csv" -- "$cur")); return ;;
	--token-file|--cacert)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--role) COMPREPLY=($(compgen -W "viewer operator admin" -- "$cur")); return ;;
	--expires) COMPREPLY=($(compgen -W "12h 7d 30d 90d" -- "$cur")); return ;;
	--server|--token|--user|--comment|--reason|-J|--name|-N|--nodes|-G|--accelerators|--accels-per-node|--priority|--power-per-accel|--shares|--description|--start|--end|--pods)
		COMPREPLY=(); return ;;
	-O|--format)
		# the columns of the listing, from podctl's refusal of "?"
		local cols cmd=("${words[0]}")
		case ${words[0]} in
		token|account|user|qos|partition|reservation) cmd=("${words[0]}" list) ;;
		esac
		cols=$(podctl "${cmd[@]}" --format '?' 2>&1 >/dev/null |
		    sed -n 's/.*(columns: \(.*\)).*/\1/p' | tr -d ,)
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -P "$head" -W "$cols" -- "$last")); return ;;
	--policy) COMPREPLY=($(compgen -W "performance powersave thermal energy" -- "$cur")); return ;;
	--interval) COMPREPLY=($(compgen -W "1 2 5 10" -- "$cur")); return ;;
	--duration) COMPREPLY=($(compgen -W "1h 4h 8h 1d" -- "$cur")); return ;;
	--parent|-A|--account|--default-account)
		COMPREPLY=($(compgen -W "$(podctl "${_podctl_opts[@]}" account list --noheader --format name 2>/dev/null)" -- "$cur")); return ;;
	--node) COMPREPLY=($(compgen -W "$(_podctl_names node)" -- "$cur")); return ;;
	-t|--time) COMPREPLY=($(compgen -W "30 2:00:00 12:00:00 1-00:00:00 15m 2h" -- "$cur")); return ;;
	--within) COMPREPLY=($(compgen -W "group pod fabric" -- "$cur")); return ;;
	--state)
		compopt -o nospace 2>/dev/null
		if [[ ${words[0]} == jobs ]]; then
			COMPREPLY=($(compgen -P "$head" -W "pending running completed failed cancelled timeout node_fail" -- "$last"))
		else
			COMPREPLY=($(compgen -P "$head" -W "idle mixed allocated down draining drained" -- "$last"))
		fi
		return ;;
	--pod)
		if [[ ${words[0]} == nodes ]]; then
			compopt -o nospace 2>/dev/null
			COMPREPLY=($(compgen -P "$head" -W "$(_podctl_names pod)" -- "$last"))
		else
			COMPREPLY=($(compgen -W "$(_podctl_names pod)" -- "$cur"))
		fi
		return ;;
	esac

	case "${words[*]}" in
	"")
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "status pods nodes node submit jobs job cancel prio policy power alarms alarm audit acct usage top whoami token account user qos partition reservation help" -- "$cur"))
		fi ;;
	pods)
		COMPREPLY=($(compgen -W "--noheader --format -O $global" -- "$cur")) ;;
	nodes)
		COMPREPLY=($(compgen -W "--pod --state --noheader --format -O $global" -- "$cur")) ;;
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
		COMPREPLY=($(compgen -W "-J --name -N --nodes -G --accelerators --accels-per-node -t --time --priority --within --policy --no-requeue --power-per-accel --allow-capped -D --chdir -o --output -e --error -A --account -q --qos -p --partition --reservation -d --dependency -a --array -- $global" -- "$cur")) ;;
	prio)
		COMPREPLY=($(compgen -W "-u --user --noheader --format -O $global" -- "$cur")) ;;
	jobs)
		COMPREPLY=($(compgen -W "--state --noheader --format -O $global" -- "$cur")) ;;
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
		COMPREPLY=($(compgen -W "--all --noheader --format -O $global" -- "$cur")) ;;
	alarm)
		COMPREPLY=($(compgen -W "ack" -- "$cur")) ;;
	"alarm ack")
		COMPREPLY=($(compgen -W "$(_podctl_alarms)" -- "$cur")) ;;
	audit)
		COMPREPLY=($(compgen -W "--since --until --actor --action --limit $global" -- "$cur")) ;;
	acct)
		COMPREPLY=($(compgen -W "-u --user -A --account -s --state -S --starttime -E --endtime -j --jobs --noheader --format -O $global" -- "$cur")) ;;
	usage)
		COMPREPLY=($(compgen -W "-S --starttime -E --endtime --by --noheader --format -O $global" -- "$cur")) ;;
	top)
		COMPREPLY=($(compgen -W "--interval --once" -- "$cur")) ;;
	token)
		COMPREPLY=($(compgen -W "create list revoke" -- "$cur")) ;;
	"token create")
		COMPREPLY=($(compgen -W "--user --role --expires --comment $global" -- "$cur")) ;;
	"token list")
		COMPREPLY=($(compgen -W "--noheader --format -O $global" -- "$cur")) ;;
	"token revoke")
		COMPREPLY=($(compgen -W "$(_podctl_tokens)" -- "$cur")) ;;
	account|user)
		COMPREPLY=($(compgen -W "add list show modify" -- "$cur")) ;;
	"account add"*|"account modify"*)
		COMPREPLY=($(compgen -W "--parent --shares --description $global" -- "$cur")) ;;
	"user add"*|"user modify"*)
		COMPREPLY=($(compgen -W "-A --account --default-account $global" -- "$cur")) ;;
	"account show"|"user show")
		COMPREPLY=($(compgen -W "$(podctl "${_podctl_opts[@]}" "${words[0]}" list --noheader --format name 2>/dev/null)" -- "$cur")) ;;
	qos|partition)
		COMPREPLY=($(compgen -W "list" -- "$cur")) ;;
	reservation)
		COMPREPLY=($(compgen -W "add list delete" -- "$cur")) ;;
	"reservation add"*)
		COMPREPLY=($(compgen -W "--start --duration --end --pods --nodes --maint -A --account $global" -- "$cur")) ;;
	"reservation delete")
		COMPREPLY=($(compgen -W "$(podctl "${_podctl_opts[@]}" reservation list --noheader --format name 2>/dev/null)" -- "$cur")) ;;
	"account list"|"user list"|"qos list"|"partition list"|"reservation list")
		COMPREPLY=($(compgen -W "--noheader --format -O $global" -- "$cur")) ;;
	*)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=()
		fi ;;
	esac
}

complete -F _podctl podctl
