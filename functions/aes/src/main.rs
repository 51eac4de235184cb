//! Encrypts a random text of L bytes N times with AES-128 in CFB mode (as the paper's Go function
//! does), each round with a fresh IV, decrypts it again and checks it; prints a digest of all
//! ciphertexts so the work can be verified.
use aes::cipher::{AsyncStreamCipher, KeyIvInit};
use sha2::{Digest, Sha256};
use wasmfaas_workload::cli::{Args, EXIT_FAILURE, fail};
use wasmfaas_workload::{SplitMix64, seeds, text};

type Aes128CfbEnc = cfb_mode::Encryptor<aes::Aes128>;
type Aes128CfbDec = cfb_mode::Decryptor<aes::Aes128>;
const NAME: &str = "aes";

fn main() {
    let args = Args::from_env(NAME, "<text-length> <rounds>");
    let length: usize = args.parse(0, "text-length");
    let rounds: u64 = args.parse(1, "rounds");
    let mut rng = SplitMix64::new(seeds::AES);
    let mut key = [0u8; 16];
    rng.fill_bytes(&mut key);
    let plaintext = text(length, seeds::AES);
    let mut digest = Sha256::new();
    let mut buffer = vec![0u8; length];
    let mut iv = [0u8; 16];
    for round in 0..rounds {
        rng.fill_bytes(&mut iv);
        buffer.copy_from_slice(&plaintext);
        Aes128CfbEnc::new(&key.into(), &iv.into()).encrypt(&mut buffer);
        digest.update(&buffer);
        Aes128CfbDec::new(&key.into(), &iv.into()).decrypt(&mut buffer);
        if buffer != plaintext {
            fail(
                NAME,
                EXIT_FAILURE,
                format_args!("round {round}: decryption did not give back the text"),
            );
        }
    }
    println!("bytes: {}", length as u64 * rounds);
    println!("rounds: {rounds}");
    println!("sha256: {:x}", digest.finalize());
}
