"""The system under test, assembled: the entities wired from a scenario and the day played."""
