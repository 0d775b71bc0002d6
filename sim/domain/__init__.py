"""The domain: lines and queue classes, the call taxonomy, regions, distributions, random
streams and the errors every layer raises. Imports nothing else from ``sim``."""
