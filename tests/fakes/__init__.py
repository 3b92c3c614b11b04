"""Stand-ins for the services the portal talks to, for tests and local benchmarks."""
