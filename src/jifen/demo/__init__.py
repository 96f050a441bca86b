"""The demo: a round with synthetic people in every state, one account per role."""
