"""The headless benchmark: datasets to tasks, one judged answer per problem, reports."""
