"""Tests of the federation router."""
