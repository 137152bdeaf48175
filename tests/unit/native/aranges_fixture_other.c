/* The unit of aranges_fixture that .debug_aranges does not name. */
__attribute__((noinline)) int unit_without_aranges(int x) { return x * 3 + 1; }
