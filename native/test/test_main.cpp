#include "check.hpp"

// Usage: snf_tests [substring]  (runs only the tests whose name contains it)
int main(int argc, char** argv) { return check::run_all(argc > 1 ? argv[1] : nullptr); }
