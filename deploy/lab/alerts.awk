# SPDX-License-Identifier: Apache-2.0
# Turns `redis-cli --raw XREAD ... STREAMS <stream> 0` output into one line
# per entry: ContainerName PolicyName Action Result Operation Resource (tabs).
# In raw mode every element is a line: the stream name, then per entry its id
# followed by field/value lines.  Field names never look like a stream id, so
# an id-shaped line where a field name is due starts the next entry.
function flush() {
	if (have)
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", f["ContainerName"], f["PolicyName"], \
			f["Action"], f["Result"], f["Operation"], f["Resource"]
	delete f
	have = 0
}
NR == 1 { next } # the stream's name
{
	if (!infield && $0 ~ /^[0-9]+-[0-9]+$/) {
		flush()
		have = 1
		next
	}
	if (!infield) {
		key = $0
		infield = 1
	} else {
		f[key] = $0
		infield = 0
	}
}
END { flush() }
