"""The policy language: facts, rule loader, compiler, engines and the built-in policies."""
