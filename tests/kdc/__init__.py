"""Two MIT KDCs on 127.0.0.1 for tests: see kdckit.TwoRealms and fixtures.two_realms."""
