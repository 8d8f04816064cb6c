# SPDX-License-Identifier: Apache-2.0
"""Offline checks of Bulwark's deployment files (tests/deploy)."""
