"""Rebate programs, ladders, calculation and statements (SPEC §6)."""
