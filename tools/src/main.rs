fn main() {
    println!("nsdf: commands are being built");
}
