from votr_cli.frontends.cli import main

main(prog_name="votr")
