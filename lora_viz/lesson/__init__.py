"""The lesson: its steps, and feedback on guesses."""
