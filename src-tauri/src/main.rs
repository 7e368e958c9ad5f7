fn main() {
    wijkwerk_desktop::run()
}
