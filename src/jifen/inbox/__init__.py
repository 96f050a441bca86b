"""The message centre (站内消息): what the system tells a signed-in person, newest first."""
