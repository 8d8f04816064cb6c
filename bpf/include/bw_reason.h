/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Why an enforcer decided what it decided: one enum shared by the BPF
 * programs (which put it into every alert) and the agent (which turns it into
 * KubeArmor's fields).  Values are part of the pinned-map ABI: append only.
 */
#ifndef BW_REASON_H
#define BW_REASON_H

enum bw_reason {
	BW_REASON_NONE = 0,
	BW_REASON_RULE_BLOCK = 1,	/* a Block rule matched: denied */
	BW_REASON_RULE_AUDIT = 2,	/* an Audit rule matched: allowed, reported */
	BW_REASON_POSTURE_BLOCK = 3,	/* allow-list miss, posture block: denied */
	BW_REASON_POSTURE_AUDIT = 4,	/* allow-list miss, posture audit: reported */
	BW_REASON_UNRESOLVED_BLOCK = 5, /* path too deep to resolve, posture block */
	BW_REASON_UNRESOLVED_AUDIT = 6, /* path too deep to resolve, posture audit */
	BW_REASON__MAX,
};

/* The LSM hook that saw the operation (alert Data "lsm=..."). */
enum bw_enf_hook {
	BW_HOOK_BPRM_CHECK = 1,
	BW_HOOK_FILE_OPEN = 2,
	BW_HOOK_FILE_PERMISSION = 3,
	BW_HOOK_SOCKET_CREATE = 4,
	BW_HOOK_SOCKET_BIND = 5,
	BW_HOOK_SOCKET_LISTEN = 6,
	BW_HOOK_SOCKET_ACCEPT = 7,
	BW_HOOK_SOCKET_CONNECT = 8,
	BW_HOOK_CAPABLE = 9,
	BW_HOOK__MAX,
};

#endif
