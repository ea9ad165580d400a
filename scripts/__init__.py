"""Tools for developers: installing and driving the headless browser of the tests and benches."""
