-- One game login per child, game and username. The keeper's associated
-- data binds a ciphertext to (profile, game, username): two rows with the
-- same three would let a ciphertext copied between them open.

-- +goose Up
CREATE UNIQUE INDEX game_credentials_login_unique ON game_credentials (profile_id, game_name, username);

-- +goose Down
DROP INDEX game_credentials_login_unique;
