from vehicle_enforce.cli import main

main()
