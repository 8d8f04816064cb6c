/* SPDX-License-Identifier: Apache-2.0 */
/* Keeps agent_core non-empty until the agent's modules land; delete then. */
int bw_agent_placeholder(void);
int bw_agent_placeholder(void)
{
	return 0;
}
