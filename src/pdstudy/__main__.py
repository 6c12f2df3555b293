from pdstudy.cli import main

main()
