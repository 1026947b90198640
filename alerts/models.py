"""What is concluded from the records: rules, cases, notifications."""
