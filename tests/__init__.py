"""cjsim's tests. A package, so ``tests.*`` helpers resolve here even when an installed
distribution (Ciw ships one) puts its own top-level ``tests`` package on the path."""
