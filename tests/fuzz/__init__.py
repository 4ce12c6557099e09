"""Bad input at scale: generated and mutated stack files and Pulumi files through the real CLI, in-process."""
