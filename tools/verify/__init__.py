"""The post-deploy check `make verify`: is what `make deploy` created actually up? `deployment` is
the command; it discovers the environment's deployed stacks (`deployed`), checks their resources
(`resources`) and service URLs (`urls`), and prints one report line per check (`report`)."""
