/* A plain C file: BPF LSM Studio leaves it to the C tools. */
#include <stdio.h>

int main(void)
{
	printf("hello\n");
	return 1;
}
