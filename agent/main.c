/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the agent daemon lands. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "bulwark-agent: not built yet\n");
	return 1;
}
