"""The built-in scenarios and their data files, shipped as the package ``hotline_scenarios``.

Nothing to import: ``sim.domain.paths`` finds these YAML files (here in a checkout, in the
installed package otherwise)."""
