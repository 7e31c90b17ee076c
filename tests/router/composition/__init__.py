"""Tests of federation composition."""
