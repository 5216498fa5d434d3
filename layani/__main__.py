from layani.cli import main

main()
