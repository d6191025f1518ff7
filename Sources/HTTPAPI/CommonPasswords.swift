/// Passwords guessers try first, lower-cased: the heads of public breach lists (rockyou,
/// SecLists' top 10,000, the Chinese CSDN and 12306 leaks), the short words that people
/// lengthen with digits or signs, and the long ones that pass a length rule as they are.
/// `AccountRules.passwordProblem` checks a password and its letters without digits or signs
/// added at either end against these.
enum CommonPasswords {
    static let all: Set<String> = [
        // Words and names people lengthen ("Password123!", "2026dragon").
        "password", "passw0rd", "passwort", "pass", "qwerty", "qwertyuiop", "asdfgh", "asdfghjkl", "zxcvbn", "zxcvbnm", "qazwsx", "qweasd", "abc", "abcdef",
        "abcdefg", "abcdefgh", "iloveyou", "admin", "administrator", "root", "welcome", "letmein", "login", "monkey", "dragon", "master", "football",
        "baseball", "basketball", "soccer", "hockey", "sunshine", "princess", "shadow", "superman", "batman", "trustno", "hello", "freedom", "whatever",
        "michael", "jennifer", "jordan", "hunter", "ranger", "buster", "thomas", "robert", "charlie", "daniel", "jessica", "ashley", "bailey", "nicole",
        "starwars", "pokemon", "naruto", "computer", "internet", "secret", "changeme", "default", "guest", "test", "tester", "testing", "user", "demo",
        "fleet", "server", "system", "access", "security", "summer", "winter", "spring", "autumn", "january", "love", "lovely", "loveme", "angel",
        "flower", "cookie", "cheese", "chocolate", "killer", "pepper", "ginger", "matrix", "mustang", "harley", "yankees", "liverpool", "chelsea",
        "arsenal", "google", "facebook", "apple", "samsung", "huawei", "xiaomi", "china", "beijing", "shanghai", "ningbo", "woaini", "wangyi", "nihao",
        "zhangwei", "wangwei", "liwei", "aini", "baobei", "qq", "tianya", "zxc", "asd", "qwe", "aaa", "abcabc", "company", "office", "private",
        "correcthorsebatterystaple", "correct horse battery staple", "monday", "friday", "holiday", "family", "mother", "father", "banana", "orange",
        "purple", "silver", "golden", "diamond", "phoenix", "tigger", "yellow", "blue", "red", "green", "black", "white",
        // Long ones, as they are.
        "123456789012", "1234567890123", "12345678901234", "123456789000", "111111111111", "000000000000", "123123123123", "121212121212",
        "147258369147", "123412341234", "987654321098", "qwertyuiop123", "qwertyuiop[]", "1qaz2wsx3edc", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u",
        "zaq12wsxcde3", "zaq1zaq1zaq1", "q1w2e3r4t5y6", "a1b2c3d4e5f6", "asdfghjkl123", "abcdefghijkl", "abcd12345678", "abc123abc123",
        "password1234", "password123!", "passwordpassword", "p@ssw0rd1234", "p@ssword1234", "iloveyou1234", "iloveyouiloveyou", "adminadmin123",
        "administrator1", "welcome12345", "welcome@1234", "letmein12345", "changeme1234", "qwerty123456", "qwertyqwerty", "football1234",
        "trustno1trustno1", "superman1234", "michael12345", "princess1234", "sunshine1234", "baseball1234", "dragon123456", "monkey123456",
        "mypassword12", "mypassword123", "thisismypassword", "secretpassword", "supersecret1", "masterpassword", "defaultpassword",
        "woaini1314520", "woaini520520", "5201314520", "5201314woaini", "a123456789012", "aa1234567890", "qq1234567890", "zxcvbnm123456",
        "1qaz2wsx3edc4rfv", "!qaz2wsx#edc", "!qaz@wsx#edc", "qazwsxedcrfv", "qazwsxedc123", "asdasdasdasd", "qweqweqweqwe", "zxczxczxczxc",
    ]
}
