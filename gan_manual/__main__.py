from gan_manual.cli import main

if __name__ == "__main__":
    main()
