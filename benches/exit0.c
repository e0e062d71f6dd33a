/*
 * Exits with status 0 at once. Built -static -nostdlib, so that its own
 * resident set is a few pages: run as `nono run ... -- exit0`, the child's
 * peak RSS (ru_maxrss, which Linux carries across execve) is nono's own peak
 * before it executed the command. benches/whole_command.py builds it.
 */
#if defined(__x86_64__)
void _start(void)
{
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
}
#elif defined(__aarch64__)
void _start(void)
{
	__asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0");
}
#else
int main(void)
{
	return 0;
}
#endif
