"""Cross-checks of our composition against The Guild's federation-composition."""
