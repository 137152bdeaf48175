/* Linked with aranges_fixture_other.c, whose .debug_aranges entry is removed
 * before linking: one unit the table names, one only its DIE's ranges find
 * (as when another compiler built part of a program: LLVM writes no
 * .debug_aranges). */
int unit_without_aranges(int x);

__attribute__((noinline)) int unit_with_aranges(int x) { return unit_without_aranges(x) + 2; }

int main(int argc, char** argv) {
  (void)argv;
  return unit_with_aranges(argc);
}
