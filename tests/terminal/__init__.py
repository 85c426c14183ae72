"""What votr shows a terminal: formats, prompts, completion, live output."""
