from votr_cli.cli import main

main(prog_name="votr")
